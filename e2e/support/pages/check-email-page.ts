import { NexusPage, PLATFORM } from './nexus-page.ts';

export class CheckEmailPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/forgot-password$/,
      heading: 'Check your email',
      title: `Check your email – ${PLATFORM}`,
    });
    return this;
  }
}
