import { ADMIN, AdminPage, errorPrefix } from './admin-page.ts';
import { PLATFORM } from './nexus-page.ts';
import { SchoolGroupDeletePage } from './school-group-delete-page.ts';
import { SchoolGroupsPage } from './school-groups-page.ts';

export class SchoolGroupFormPage extends AdminPage {
  la = '';

  async expectOn(
    la: string,
    mode: 'Create' | 'Change',
    options: { status?: number; error?: boolean } = {},
  ): Promise<this> {
    this.la = la;
    await this.arrive({
      path: mode === 'Create' ? /^\/admin\/school-groups\/new$/ : /^\/admin\/school-groups\/\d+$/,
      heading: `${mode} school group`,
      title: `${errorPrefix(options.error)}${mode} school group – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    return this;
  }

  async fill(name: string, schools: Record<string, boolean>): Promise<void> {
    await this.page.getByLabel('Name', { exact: true }).fill(name);
    const fieldset = this.page.locator('main fieldset', { has: this.page.locator('legend', { hasText: 'Schools' }) });
    for (const [label, checked] of Object.entries(schools))
      await fieldset.getByRole('checkbox', { name: label, exact: true }).setChecked(checked);
  }

  async checkedSchools(): Promise<string[]> {
    const ids = await this.page
      .locator('main input[name="schoolIds"]:checked')
      .evaluateAll((inputs) => inputs.map((i) => i.id));
    const labels: string[] = [];
    for (const id of ids) labels.push((await this.page.locator(`label[for="${id}"]`).innerText()).trim());
    return labels;
  }

  async save(): Promise<SchoolGroupsPage> {
    await this.submit('Save school group');
    return new SchoolGroupsPage(this.tab).expectOn(this.la);
  }

  async startDelete(name: string): Promise<SchoolGroupDeletePage> {
    await this.follow(`Delete ${name}`);
    return new SchoolGroupDeletePage(this.tab).expectOn(this.la, name);
  }
}
