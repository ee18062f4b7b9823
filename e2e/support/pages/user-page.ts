import type { Locator } from 'playwright-core';
import { expect } from 'vitest';
import type { JourneyTab } from '../browser.ts';
import { ADMIN, AdminPage, errorPrefix, UUID } from './admin-page.ts';
import { ConfirmPage } from './confirm-page.ts';
import { EditUserPage } from './edit-user-page.ts';
import { summaryList, tableRecords } from './govuk-components.ts';
import { PLATFORM } from './nexus-page.ts';

export type UserTab = 'Details' | 'Communications' | 'Schools' | 'Privileges' | 'Audit';

/** The user page (R24) and its tabs (R25–R27): one page object, `which` names the tab shown. */
export class UserPage extends AdminPage {
  constructor(
    tab: JourneyTab,
    readonly name: string,
  ) {
    super(tab);
  }

  async expectOn(which: UserTab = 'Details', options: { status?: number; error?: boolean } = {}): Promise<this> {
    const suffix = which === 'Details' ? '' : `/${which.toLowerCase()}`;
    await this.arrive({
      path: new RegExp(`^/admin/users/${UUID}${suffix}$`),
      heading: this.name,
      title: `${errorPrefix(options.error)}${which === 'Details' ? '' : `${which} – `}${this.name} – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    const current = this.page.locator('main .moj-sub-navigation [aria-current="page"]');
    expect(await current.innerText()).toBe(which);
    return this;
  }

  get id(): string {
    return new RegExp(`/admin/users/(${UUID})`).exec(this.page.url())![1]!;
  }

  /** The status tag beside the name: "Active", "Archived". */
  async status(): Promise<string> {
    return (await this.page.locator('main .app-identity .govuk-tag').innerText()).trim();
  }

  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }

  async openTab(which: UserTab): Promise<UserPage> {
    await this.tab.navigate(() =>
      this.page.locator('main .moj-sub-navigation').getByRole('link', { name: which, exact: true }).click(),
    );
    return new UserPage(this.tab, this.name).expectOn(which);
  }

  async editDetails(): Promise<EditUserPage> {
    await this.follow('Change name');
    return new EditUserPage(this.tab, this.name).expectOn();
  }

  // Communications tab --------------------------------------------------------------------------

  /** Topic → "Subscribed" / "Not subscribed"; a recommended topic's name ends in "Recommended". */
  async topics(): Promise<Record<string, string>> {
    const lines = (await this.page.locator('main .app-topics li').allInnerTexts()).map((t) =>
      t.replace(/\s+/g, ' ').trim(),
    );
    return Object.fromEntries(
      lines.map((line) => {
        const at = line.lastIndexOf(': ');
        return [line.slice(0, at), line.slice(at + 2)];
      }),
    );
  }

  // Schools tab ---------------------------------------------------------------------------------

  get schoolsTable(): Locator {
    return this.page.locator('main table').first();
  }

  async schools(): Promise<Record<string, string>[]> {
    return tableRecords(this.schoolsTable);
  }

  async addSchool(school: string, role: string): Promise<UserPage> {
    const form = this.page.locator('main form', { has: this.page.getByRole('button', { name: 'Add school' }) });
    if (this.tab.javaScript) {
      // The school picker is an accessible autocomplete (school-picker.mjs): type, then choose.
      const input = form.getByRole('combobox', { name: 'School', exact: true });
      await input.fill(school.slice(0, 6));
      await form.getByRole('option', { name: school, exact: true }).click();
    } else {
      await form.getByLabel('School', { exact: true }).selectOption({ label: school });
    }
    await form.getByLabel('Role', { exact: true }).selectOption({ label: role });
    await this.submit('Add school');
    return new UserPage(this.tab, this.name).expectOn('Schools');
  }

  async removeSchool(school: string): Promise<UserPage> {
    await this.tab.navigate(() =>
      this.schoolsTable.getByRole('button', { name: `Remove ${school}`, exact: true }).click(),
    );
    return new UserPage(this.tab, this.name).expectOn('Schools');
  }

  /** "Replace all schools": tick exactly `schools` (labels as shown), new ones get `role`. */
  async replaceSchools(schools: string[], role: string): Promise<UserPage> {
    const details = this.page.locator('main details.govuk-details');
    await details.locator('summary').click();
    const boxes = details.getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      const label = (await details.locator(`label[for="${await box.getAttribute('id')}"]`).innerText()).trim();
      await box.setChecked(schools.includes(label));
    }
    await details.getByLabel('Role for newly added schools').selectOption({ label: role });
    await this.submit('Replace schools');
    return new UserPage(this.tab, this.name).expectOn('Schools');
  }

  // Privileges tab ------------------------------------------------------------------------------

  async checkedPrivileges(): Promise<string[]> {
    const boxes = this.page.locator('main input[name="privileges"]:checked');
    const ids = await boxes.evaluateAll((inputs) => inputs.map((i) => i.id));
    const labels: string[] = [];
    for (const id of ids) labels.push((await this.page.locator(`label[for="${id}"]`).innerText()).trim());
    return labels;
  }

  async chooseType(type: string): Promise<void> {
    await this.page.locator('main').getByRole('radio', { name: type, exact: true }).check();
  }

  /** The no-JavaScript step (works with JavaScript too): the type's defaults ticked, not yet saved. */
  async applyDefaults(): Promise<UserPage> {
    await this.submit('Apply the defaults of this type');
    return new UserPage(this.tab, this.name).expectOn('Privileges');
  }

  async setPrivilege(label: string, checked: boolean): Promise<void> {
    await this.page.locator('main').getByRole('checkbox', { name: label, exact: true }).setChecked(checked);
  }

  /** The name in the agreement of CiN/CLA access (R16). */
  get cinClaAgreedBy(): Locator {
    return this.page.getByLabel('Name of the person who agreed it', { exact: true });
  }

  /** Fills in the agreement of CiN/CLA access (R16): name, role and the date as day, month, year. */
  async fillCinClaAgreement(name: string, role: string, date: { day: string; month: string; year: string }) {
    await this.cinClaAgreedBy.fill(name);
    await this.page.getByLabel('Their role', { exact: true }).fill(role);
    const fieldset = this.page.getByRole('group', { name: 'Date of the agreement' });
    await fieldset.getByLabel('Day', { exact: true }).fill(date.day);
    await fieldset.getByLabel('Month', { exact: true }).fill(date.month);
    await fieldset.getByLabel('Year', { exact: true }).fill(date.year);
  }

  async savePrivileges(options: { status?: number; error?: boolean } = {}): Promise<UserPage> {
    await this.submit('Save privileges');
    return new UserPage(this.tab, this.name).expectOn('Privileges', options);
  }

  /** Enter in the agreement's name field saves (it must not apply the type's defaults). */
  async savePrivilegesWithEnter(): Promise<UserPage> {
    await this.tab.navigate(() => this.cinClaAgreedBy.press('Enter'));
    return new UserPage(this.tab, this.name).expectOn('Privileges');
  }

  /** The inset "Differs from the defaults of …", or null. */
  async differsFromDefaults(): Promise<string | null> {
    const inset = this.page.locator('main .govuk-inset-text', { hasText: 'Differs from the defaults' });
    return (await inset.count()) === 0 ? null : (await inset.innerText()).trim();
  }

  // Audit tab -----------------------------------------------------------------------------------

  async timeline(): Promise<string[]> {
    return (await this.page.locator('main .moj-timeline__title').allInnerTexts()).map((t) => t.trim());
  }

  // Account actions -----------------------------------------------------------------------------

  async startResetTwoFactor(): Promise<ConfirmPage> {
    await this.follow('Reset two-factor authentication', 'button');
    return new ConfirmPage(this.tab, this.name).expectOn('reset-two-factor');
  }

  async startArchive(): Promise<ConfirmPage> {
    await this.follow('Archive account', 'button');
    return new ConfirmPage(this.tab, this.name).expectOn('archive');
  }

  async startDelete(): Promise<ConfirmPage> {
    await this.follow('Delete account', 'button');
    return new ConfirmPage(this.tab, this.name).expectOn('delete');
  }

  async restore(): Promise<UserPage> {
    await this.follow('Restore account', 'button');
    return new UserPage(this.tab, this.name).expectOn();
  }
}
