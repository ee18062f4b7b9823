/** What a single-use link emailed to a person is for: setting a first password, or a new one. */
export type TokenPurpose = 'invitation' | 'password_reset';
