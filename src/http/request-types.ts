import type { ApiCaller } from '../services/sign-in/api-token-service.ts';
import type { SignedIn } from '../services/sign-in/session-service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person, when the session cookie names a live, fully signed-in session. */
    signedIn: SignedIn | undefined;
    /** Raw session cookie value (a pending sign-in's too). */
    sessionToken: string | undefined;
    /** The caller behind a valid `Authorization: Bearer` API token (src/api/bearer-auth.ts). */
    apiCaller: ApiCaller | undefined;
    /** Central support's chosen Local Authority (src/web/plugins/la-context.ts); undefined for everyone else. */
    laContext: { name: string; laCode: string } | undefined;
  }
  interface FastifyReply {
    /** Renders a page in the layout with the shared context (user, navigation, CSRF token, flash). */
    page(template: string, context?: Record<string, unknown>): Promise<void>;
    flash(text: string): void;
  }
}

export {};
