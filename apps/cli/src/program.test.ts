import { CommanderError, type Command } from 'commander';
import { createProgram } from './program.js';

/** Parses `args` as the CLI would, capturing the error line instead of exiting; actions never run here. */
async function parse(args: string[]): Promise<{ error: CommanderError; stderr: string }> {
  let stderr = '';
  const program = createProgram((p: Command) =>
    p.exitOverride().configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} }),
  );
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return { error, stderr };
    throw error;
  }
  throw new Error(`attrib ${args.join(' ')} was accepted`);
}

describe('attrib: every argument is used or rejected', () => {
  it.each([
    // `importance` trains the toy model itself: a model file given to it used to be ignored (exit 0).
    [['importance', 'my-model.json'], 'commander.excessArguments', /too many arguments for 'importance'/],
    [['evaluate', 'extra'], 'commander.excessArguments', /too many arguments for 'evaluate'/],
    [['importance', '--model', 'm.json'], 'commander.unknownOption', /unknown option '--model'/],
    [['evaluate', '--seeds', '3', '--sed', '1'], 'commander.unknownOption', /unknown option '--sed'/],
    [['importance', '--seed', 'abc'], 'commander.invalidArgument', /--seed must be a non-negative integer/],
    [['importance', '--steps', ''], 'commander.invalidArgument', /--steps must be a non-negative integer/],
    [['evaluate', '--seeds', '0'], 'commander.invalidArgument', /--seeds must be an integer ≥ 1/],
    [['importance', '--backend', 'gpu'], 'commander.invalidArgument', /'gpu' is invalid/],
    [['explian'], 'commander.unknownCommand', /unknown command 'explian'/],
  ])('attrib %j fails (%s)', async (args, code, message) => {
    const { error, stderr } = await parse(args);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(1);
    expect(stderr).toMatch(message);
    // One error line (commander may add a "Did you mean" line for a misspelled flag).
    expect(stderr.split('\n')[0]).toMatch(/^error: /);
  });
});
