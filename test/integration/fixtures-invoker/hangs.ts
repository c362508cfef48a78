// A handler that never returns: the invocation's timeout must end it.
export async function handler(): Promise<never> {
  return new Promise(() => {});
}
