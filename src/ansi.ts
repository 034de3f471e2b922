// ANSI escape sequences in text kept in files and reports (notebooks, recipe evidence): every layer may need to
// remove them, so this lives below src/render/.

/** Removes ANSI escape sequences (for text that goes to files). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '')
}
