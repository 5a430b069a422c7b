// What both scripts share: one-line messages on stderr, exit 2 for bad arguments, 1 for failures.
export function oneLine(message) {
  return String(message).replace(/\s*\n\s*/g, ' ');
}

export function reporter(name) {
  const say = (code) => (message) => {
    process.stderr.write(`${name}: ${oneLine(message)}\n`);
    process.exit(code);
  };
  return { usage: say(2), fail: say(1) };
}
