/** A person's full name as every page, email, export and audit sentence shows it: "First Last". */
export function fullName(person: { readonly first_name: string; readonly last_name: string }): string {
  return `${person.first_name} ${person.last_name}`;
}

/** The full name of a person who may be gone (a left join, a deleted account): null when unknown. */
export function fullNameIfKnown(person: {
  readonly first_name: string | null;
  readonly last_name: string | null;
}): string | null {
  return person.first_name === null || person.last_name === null
    ? null
    : fullName({ first_name: person.first_name, last_name: person.last_name });
}
