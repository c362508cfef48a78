// Answers with the process it runs in and the function it was invoked as.
export async function handler(_event: unknown, context: { functionName: string }): Promise<{ pid: number; functionName: string }> {
  return { pid: process.pid, functionName: context.functionName };
}
