// Shardsmith's compose init script (templates/init.js, the same for every cluster). Do not edit.
//
// Run by the compose file's init services:  mongosh --nodb --quiet --file init.js
// beside the cluster's bootstrap plan, <name>.plan.json, mounted at /shardsmith/plan.json
// ($SHARDSMITH_INIT_PLAN names another path). The plan's partEnv variable picks one part: a
// replica set's name (run beside its intended primary, so the root user can be created through
// the localhost exception), `router` (beside the first router), `standalone`, or `all` (host
// networking). The root password is read from the variable the plan's passwordEnv names, an
// application user's from the variable its {"$secret": "env:VAR"} names; no password is written anywhere.
//
// The plan is Shardsmith's bootstrap plan (shardsmith/bootstrap/plan.py), the same one its
// Python executor runs from the host. This script only carries it out: three kinds of
// step (command, await, reconfig), each polled until done, found done, or refused.

const PLAN = JSON.parse(require("fs").readFileSync(process.env.SHARDSMITH_INIT_PLAN || "/shardsmith/plan.json", "utf8"));
const POLL_MS = 100;
const TIMEOUT_MS = 180000;

function say(message) {
  print(`[shardsmith init ${PLAN.cluster}] ${message}`);
}

function fail(message) {
  say(`error: ${message}`);
  quit(2);
}

function password() {
  const value = process.env[PLAN.passwordEnv];
  if (!value) fail(`${PLAN.passwordEnv} is not set; export it (the cluster's root password) and run again`);
  return value;
}

// {"$secret": name}: "rootPassword", or "env:VAR" (an application user's password).
function secret(name) {
  if (!name.startsWith("env:")) return password();
  const variable = name.slice("env:".length);
  const value = process.env[variable];
  if (!value) fail(`${variable} is not set (a user's password); export it and run again`);
  return value;
}

const connections = {};

function connect(address, authenticated) {
  const key = `${authenticated}:${address}`;
  if (!connections[key]) {
    let userinfo = "";
    let options = "directConnection=true&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000";
    if (PLAN.tls) options += `&${PLAN.tls}`;
    if (authenticated) {
      userinfo = `${encodeURIComponent(PLAN.user)}:${encodeURIComponent(password())}@`;
      options += "&authSource=admin";
    }
    connections[key] = new Mongo(`mongodb://${userinfo}${address}/?${options}`).getDB("admin");
  }
  return connections[key];
}

// Errors the server answered with (a write-concern error means the write itself was applied).
const SERVER_ERRORS = ["MongoServerError", "MongoWriteConcernError"];

// A command's reply; server errors come back as {ok: 0, code, errmsg} instead of throwing.
// Network errors still throw: waitFor polls through them.
// (The reply is assigned before returning: mongosh's implicit await happens there, inside the try.)
function command(address, authenticated, doc) {
  try {
    const reply = connect(address, authenticated).runCommand(doc);
    return reply;
  } catch (error) {
    if (error.code !== undefined && SERVER_ERRORS.includes(error.name)) {
      return { ok: 0, code: error.code, errmsg: error.message, applied: error.name === "MongoWriteConcernError" };
    }
    throw error;
  }
}

// Poll `check` until it returns something truthy; thrown errors (the network) mean "not yet".
function waitFor(what, check) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last = null;
  for (;;) {
    try {
      const result = check();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) fail(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ""}`);
    sleep(POLL_MS);
  }
}

// `path` walks documents by field name and lists by element; see shardsmith/bootstrap/probes.py.
function lookup(document, path) {
  let value = document;
  for (const name of path.split(".")) {
    if (Array.isArray(value)) value = value.filter((item) => item && typeof item === "object").map((item) => item[name]);
    else if (value && typeof value === "object") value = value[name];
    else return null;
  }
  return value;
}

function holds(reply, probe) {
  const value = lookup(reply, probe.path);
  if (probe.contains === null) return Boolean(value);
  return value === probe.contains || (Array.isArray(value) && value.includes(probe.contains));
}

function fill(value) {
  if (Array.isArray(value)) return value.map(fill);
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$secret") return secret(value.$secret);
    return Object.fromEntries(keys.map((key) => [key, fill(value[key])]));
  }
  return value;
}

function configured(config, step) {
  const settings = config.settings || {};
  return Object.entries(step.settings).every(([key, value]) => settings[key] === value) &&
    config.members.every((m) => !(String(m._id) in step.priorities) || m.priority === step.priorities[String(m._id)]);
}

function reconfigured(config, step) {
  config.settings = Object.assign(config.settings || {}, step.settings);
  for (const member of config.members) {
    if (String(member._id) in step.priorities) member.priority = step.priorities[String(member._id)];
  }
  config.version += 1;
  return config;
}

// One part's run: the addresses its awaits bound and the answers its probes read (once each).
function partRun(steps) {
  const run = { bindings: {}, answers: {} };
  run.resolve = (address) => {
    if (!address.startsWith("$")) return address;
    if (!(address in run.bindings)) execute(steps.find((step) => step.bind === address), run);
    return run.bindings[address];
  };
  run.forget = (address) => { delete run.bindings[address]; };
  run.answerHolds = (address, auth, probe) => {
    const key = `${address}:${auth}:${JSON.stringify(probe.command)}`;
    if (!(key in run.answers)) {
      const reply = command(address, auth, probe.command);
      if (!reply.ok) throw new Error(`${JSON.stringify(probe.command)} at ${address}: ${reply.errmsg}`);
      run.answers[key] = reply;
    }
    return holds(run.answers[key], probe);
  };
  return run;
}

// What a server error means for a step: done already, try again (null), or stop.
function classify(step, reply, run, address) {
  const code = String(reply.code);
  if (code in step.done) return "already";
  if (code in step.stop) fail(`${step.stop[code]} (the password in ${PLAN.passwordEnv})`);
  if (step.again.includes(reply.code) || PLAN.notReady.includes(reply.code)) {
    run.forget(step.at[0]);
    return null;
  }
  fail(`${step.what} at ${address}: ${reply.errmsg} (code ${reply.code})`);
}

const OPS = {
  command(step, run) {
    let acted = false;
    const outcome = waitFor(step.what, () => {
      const address = run.resolve(step.at[0]);
      if (step.unless && run.answerHolds(address, step.auth, step.unless)) return "already";
      const reply = command(address, step.auth, fill(step.command));
      if (reply.ok) return "done";
      acted = acted || Boolean(reply.applied);
      return classify(step, reply, run, address);
    });
    if ((outcome === "done" || acted) && step.says) say(step.says);
  },

  await(step, run) {
    const address = waitFor(step.what, () => {
      for (const candidate of step.at) {
        try {
          if (holds(command(candidate, false, step.until.command), step.until)) return candidate;
        } catch (error) {
          // starting or down: ask the others
        }
      }
      if (step.nudge) {
        try {
          command(step.at[0], Boolean(PLAN.passwordEnv), step.nudge); // refused before users exist: harmless
        } catch (error) {
          // down: the next round asks again
        }
      }
      return null;
    });
    if (step.bind) run.bindings[step.bind] = address;
  },

  reconfig(step, run) {
    waitFor(step.what, () => {
      const address = run.resolve(step.at[0]);
      const current = command(address, step.auth, { replSetGetConfig: 1 });
      if (!current.ok) return classify(step, current, run, address) === "already";
      if (configured(current.config, step)) return true;
      const done = command(address, step.auth, { replSetReconfig: reconfigured(current.config, step) });
      if (!done.ok) return classify(step, done, run, address) === "already";
      return true;
    });
  },
};

function execute(step, run) {
  OPS[step.op](step, run);
}

function runPart(part) {
  const steps = PLAN.steps.filter((step) => step.part === part);
  const run = partRun(steps);
  steps.forEach((step) => execute(step, run));
}

const parts = [...new Set(PLAN.steps.map((step) => step.part))];
const part = process.env[PLAN.partEnv] || "";
if (part === "all") {
  parts.forEach(runPart);
} else if (parts.includes(part)) {
  runPart(part);
} else {
  fail(`set ${PLAN.partEnv} to one of: ${parts.concat(["all"]).join(", ")} (got "${part}")`);
}
say(`${part}: done`);
