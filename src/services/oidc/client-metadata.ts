import type { AdapterPayload } from 'oidc-provider';
import type { OidcClient } from '../../data/queries/oidc-client-queries.ts';

/** How the provider checks the application at the token endpoint: its secret's hash, or its public keys. */
function credentialMetadata(row: OidcClient): AdapterPayload {
  if (row.jwks_uri) return { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: row.jwks_uri };
  if (row.jwks) return { token_endpoint_auth_method: 'private_key_jwt', jwks: row.jwks };
  return { token_endpoint_auth_method: 'client_secret_basic', client_secret: row.secret_hash ?? undefined };
}

/**
 * The provider's view of a registered application, as its row says now: undefined for a disabled
 * one. `client_secret` holds the secret's hash; the provider compares a presented secret by hashing
 * it (src/oidc/provider.ts).
 */
export function clientMetadataOf(row: OidcClient): AdapterPayload | undefined {
  if (row.disabled_at) return undefined;
  return {
    client_id: row.client_id,
    client_name: row.name,
    ...credentialMetadata(row),
    redirect_uris: row.redirect_uris,
    post_logout_redirect_uris: row.post_logout_redirect_uris,
    ...(row.backchannel_logout_uri
      ? { backchannel_logout_uri: row.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  };
}
