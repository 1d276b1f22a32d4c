// local: rendered by Shardsmith from templates/init.js.j2. Do not edit; re-render.
//
// Run by the compose file's init services:  mongosh --nodb --quiet --file init.js
// with SHARDSMITH_INIT_PART = one part of the plan: a replica set's name (run beside its
// intended primary, so the root user can be created through the localhost exception),
// `router` (beside the first router), `standalone`, or `all` (host networking).
// The root password is read from $SHARDSMITH_ROOT_PASSWORD, an application user's from the
// variable its {"$secret": "env:VAR"} names; no password is written anywhere.
//
// PLAN is Shardsmith's bootstrap plan (shardsmith/bootstrap/plan.py), the same one its
// Python executor runs from the host. This script only carries it out: three kinds of
// step (command, await, reconfig), each polled until done, found done, or refused.

const PLAN = {"cluster": "local", "partEnv": "SHARDSMITH_INIT_PART", "passwordEnv": "SHARDSMITH_ROOT_PASSWORD", "user": "admin", "tls": null, "notReady": [91, 94, 107, 189, 10107, 11600, 11602, 13435, 13436], "steps": [{"part": "cfg", "op": "command", "what": "initiate replica set cfg", "at": ["127.0.0.1:27018"], "auth": false, "command": {"replSetInitiate": {"_id": "cfg", "members": [{"_id": 0, "host": "cfg-1:27018"}, {"_id": 1, "host": "cfg-2:27019", "priority": 0}, {"_id": 2, "host": "cfg-3:27020", "priority": 0}], "configsvr": true, "settings": {"electionTimeoutMillis": 100, "heartbeatIntervalMillis": 100}}}, "unless": {"command": {"hello": 1}, "path": "setName", "contains": null}, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {"23": "initiated already"}, "again": [74], "stop": {}, "says": "replica set cfg initiated", "reports": ["initiated", "cfg"]}, {"part": "cfg", "op": "await", "what": "a writable primary in replica set cfg", "at": ["127.0.0.1:27018", "cfg-2:27019", "cfg-3:27020"], "auth": false, "command": null, "unless": null, "until": {"command": {"hello": 1}, "path": "isWritablePrimary", "contains": null}, "nudge": {"replSetStepUp": 1}, "bind": "$primary:cfg", "settings": null, "priorities": null, "done": {}, "again": [], "stop": {}, "says": null, "reports": null}, {"part": "cfg", "op": "command", "what": "create the root user on replica set cfg", "at": ["127.0.0.1:27018"], "auth": false, "command": {"createUser": "admin", "pwd": {"$secret": "rootPassword"}, "roles": ["root"], "writeConcern": {"w": 3, "wtimeout": 60000}}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {"13": "users exist (the localhost exception is closed)", "51003": "the root user exists"}, "again": [189, 10107, 11602, 13435, 13436], "stop": {}, "says": "root user admin created on replica set cfg", "reports": ["users_created", "cfg"]}, {"part": "cfg", "op": "command", "what": "log in as admin on replica set cfg", "at": ["127.0.0.1:27018"], "auth": true, "command": {"ping": 1}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {}, "again": [], "stop": {"18": "replica set cfg already has users, and the root password does not work on it"}, "says": null, "reports": null}, {"part": "cfg", "op": "reconfig", "what": "replica set cfg to take its normal settings", "at": ["$primary:cfg"], "auth": true, "command": null, "unless": null, "until": null, "nudge": null, "bind": null, "settings": {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}, "priorities": {"0": 1, "1": 1, "2": 1}, "done": {}, "again": [189, 10107, 11602, 13435, 13436], "stop": {}, "says": null, "reports": null}, {"part": "shard01", "op": "command", "what": "initiate replica set shard01", "at": ["127.0.0.1:27021"], "auth": false, "command": {"replSetInitiate": {"_id": "shard01", "members": [{"_id": 0, "host": "shard01-1:27021"}, {"_id": 1, "host": "shard01-2:27022", "priority": 0}, {"_id": 2, "host": "shard01-3:27023", "priority": 0}], "settings": {"electionTimeoutMillis": 100, "heartbeatIntervalMillis": 100}}}, "unless": {"command": {"hello": 1}, "path": "setName", "contains": null}, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {"23": "initiated already"}, "again": [74], "stop": {}, "says": "replica set shard01 initiated", "reports": ["initiated", "shard01"]}, {"part": "shard01", "op": "await", "what": "a writable primary in replica set shard01", "at": ["127.0.0.1:27021", "shard01-2:27022", "shard01-3:27023"], "auth": false, "command": null, "unless": null, "until": {"command": {"hello": 1}, "path": "isWritablePrimary", "contains": null}, "nudge": {"replSetStepUp": 1}, "bind": "$primary:shard01", "settings": null, "priorities": null, "done": {}, "again": [], "stop": {}, "says": null, "reports": null}, {"part": "shard01", "op": "command", "what": "create the root user on replica set shard01", "at": ["127.0.0.1:27021"], "auth": false, "command": {"createUser": "admin", "pwd": {"$secret": "rootPassword"}, "roles": ["root"], "writeConcern": {"w": 3, "wtimeout": 60000}}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {"13": "users exist (the localhost exception is closed)", "51003": "the root user exists"}, "again": [189, 10107, 11602, 13435, 13436], "stop": {}, "says": "root user admin created on replica set shard01", "reports": ["users_created", "shard01"]}, {"part": "shard01", "op": "command", "what": "log in as admin on replica set shard01", "at": ["127.0.0.1:27021"], "auth": true, "command": {"ping": 1}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {}, "again": [], "stop": {"18": "replica set shard01 already has users, and the root password does not work on it"}, "says": null, "reports": null}, {"part": "shard01", "op": "reconfig", "what": "replica set shard01 to take its normal settings", "at": ["$primary:shard01"], "auth": true, "command": null, "unless": null, "until": null, "nudge": null, "bind": null, "settings": {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}, "priorities": {"0": 1, "1": 1, "2": 1}, "done": {}, "again": [189, 10107, 11602, 13435, 13436], "stop": {}, "says": null, "reports": null}, {"part": "shard02", "op": "command", "what": "initiate replica set shard02", "at": ["127.0.0.1:27024"], "auth": false, "command": {"replSetInitiate": {"_id": "shard02", "members": [{"_id": 0, "host": "shard02-1:27024"}, {"_id": 1, "host": "shard02-2:27025", "priority": 0}, {"_id": 2, "host": "shard02-3:27026", "priority": 0}], "settings": {"electionTimeoutMillis": 100, "heartbeatIntervalMillis": 100}}}, "unless": {"command": {"hello": 1}, "path": "setName", "contains": null}, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {"23": "initiated already"}, "again": [74], "stop": {}, "says": "replica set shard02 initiated", "reports": ["initiated", "shard02"]}, {"part": "shard02", "op": "await", "what": "a writable primary in replica set shard02", "at": ["127.0.0.1:27024", "shard02-2:27025", "shard02-3:27026"], "auth": false, "command": null, "unless": null, "until": {"command": {"hello": 1}, "path": "isWritablePrimary", "contains": null}, "nudge": {"replSetStepUp": 1}, "bind": "$primary:shard02", "settings": null, "priorities": null, "done": {}, "again": [], "stop": {}, "says": null, "reports": null}, {"part": "shard02", "op": "command", "what": "create the root user on replica set shard02", "at": ["127.0.0.1:27024"], "auth": false, "command": {"createUser": "admin", "pwd": {"$secret": "rootPassword"}, "roles": ["root"], "writeConcern": {"w": 3, "wtimeout": 60000}}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {"13": "users exist (the localhost exception is closed)", "51003": "the root user exists"}, "again": [189, 10107, 11602, 13435, 13436], "stop": {}, "says": "root user admin created on replica set shard02", "reports": ["users_created", "shard02"]}, {"part": "shard02", "op": "command", "what": "log in as admin on replica set shard02", "at": ["127.0.0.1:27024"], "auth": true, "command": {"ping": 1}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {}, "again": [], "stop": {"18": "replica set shard02 already has users, and the root password does not work on it"}, "says": null, "reports": null}, {"part": "shard02", "op": "reconfig", "what": "replica set shard02 to take its normal settings", "at": ["$primary:shard02"], "auth": true, "command": null, "unless": null, "until": null, "nudge": null, "bind": null, "settings": {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}, "priorities": {"0": 1, "1": 1, "2": 1}, "done": {}, "again": [189, 10107, 11602, 13435, 13436], "stop": {}, "says": null, "reports": null}, {"part": "router", "op": "await", "what": "the router at 127.0.0.1:27017 to answer", "at": ["127.0.0.1:27017"], "auth": false, "command": null, "unless": null, "until": {"command": {"hello": 1}, "path": "ok", "contains": null}, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {}, "again": [], "stop": {}, "says": null, "reports": null}, {"part": "router", "op": "command", "what": "create the root user on the router", "at": ["127.0.0.1:27017"], "auth": false, "command": {"createUser": "admin", "pwd": {"$secret": "rootPassword"}, "roles": ["root"], "writeConcern": {"w": 1, "wtimeout": 60000}}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {"13": "users exist (the localhost exception is closed)", "51003": "the root user exists"}, "again": [189, 10107, 11602, 13435, 13436], "stop": {}, "says": "root user admin created on the router", "reports": ["users_created", "router"]}, {"part": "router", "op": "command", "what": "log in as admin on the router", "at": ["127.0.0.1:27017"], "auth": true, "command": {"ping": 1}, "unless": null, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {}, "again": [], "stop": {"18": "the router already has users, and the root password does not work on it"}, "says": null, "reports": null}, {"part": "router", "op": "command", "what": "add shard shard01", "at": ["127.0.0.1:27017"], "auth": true, "command": {"addShard": "shard01/shard01-1:27021,shard01-2:27022,shard01-3:27023", "name": "shard01"}, "unless": {"command": {"listShards": 1}, "path": "shards._id", "contains": "shard01"}, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {}, "again": [], "stop": {}, "says": "shard shard01 added", "reports": ["shards_added", "shard01"]}, {"part": "router", "op": "command", "what": "add shard shard02", "at": ["127.0.0.1:27017"], "auth": true, "command": {"addShard": "shard02/shard02-1:27024,shard02-2:27025,shard02-3:27026", "name": "shard02"}, "unless": {"command": {"listShards": 1}, "path": "shards._id", "contains": "shard02"}, "until": null, "nudge": null, "bind": null, "settings": null, "priorities": null, "done": {}, "again": [], "stop": {}, "says": "shard shard02 added", "reports": ["shards_added", "shard02"]}]};
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
