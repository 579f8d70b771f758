/**
 * After a submit that found errors, the first field marked invalid takes focus (once React has
 * rendered the marks), so it is heard and fixed first. Only submits do this: clearing one error
 * while typing must never move the cursor elsewhere.
 */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}
