// Types of abi.mjs for test/unit/video/v4l2-abi.test.ts.
export function cProgram(abi: object): string;
export function koffiLines(abi: object): string[];
