// A handler whose module takes INIT_MS to import (static init), then answers at once.
const initMs = Number(process.env.INIT_MS ?? 0);
await new Promise((resolve) => setTimeout(resolve, initMs));

export async function handler(event: { value: number }): Promise<{ value: number }> {
  return { value: event.value };
}
