export function buildDeb() {
  throw new Error('todo');
}
