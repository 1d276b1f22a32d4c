// local: rendered by Shardsmith from templates/init.js.j2. Do not edit; re-render.
//
// Run by the compose file's init services:  mongosh --nodb --quiet --file init.js
// with SHARDSMITH_INIT_PART = one replica set's name (run beside its intended primary,
// so the root user can be created through the localhost exception), `router`
// (beside the first router), `standalone`, or `all` (host networking).
// The root password is read from $SHARDSMITH_ROOT_PASSWORD; it is never written anywhere.
// Idempotent: every step looks before it acts; nothing here sleeps to synchronise,
// it polls (every POLL_MS) until the state it waits for is there.

const PLAN = {"cluster": "local", "partEnv": "SHARDSMITH_INIT_PART", "steppedDownCodes": [189, 10107, 11602, 13435, 13436], "auth": {"user": "admin", "passwordEnv": "SHARDSMITH_ROOT_PASSWORD"}, "sets": {"cfg": {"local": "127.0.0.1:27018", "members": ["cfg-1:27018", "cfg-2:27019", "cfg-3:27020"], "initiate": {"_id": "cfg", "members": [{"_id": 0, "host": "cfg-1:27018"}, {"_id": 1, "host": "cfg-2:27019", "priority": 0}, {"_id": 2, "host": "cfg-3:27020", "priority": 0}], "configsvr": true, "settings": {"electionTimeoutMillis": 100, "heartbeatIntervalMillis": 100}}, "priorities": {"0": 1, "1": 1, "2": 1}, "normalSettings": {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}, "acknowledgers": 3}, "shard01": {"local": "127.0.0.1:27021", "members": ["shard01-1:27021", "shard01-2:27022", "shard01-3:27023"], "initiate": {"_id": "shard01", "members": [{"_id": 0, "host": "shard01-1:27021"}, {"_id": 1, "host": "shard01-2:27022", "priority": 0}, {"_id": 2, "host": "shard01-3:27023", "priority": 0}], "settings": {"electionTimeoutMillis": 100, "heartbeatIntervalMillis": 100}}, "priorities": {"0": 1, "1": 1, "2": 1}, "normalSettings": {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}, "acknowledgers": 3}, "shard02": {"local": "127.0.0.1:27024", "members": ["shard02-1:27024", "shard02-2:27025", "shard02-3:27026"], "initiate": {"_id": "shard02", "members": [{"_id": 0, "host": "shard02-1:27024"}, {"_id": 1, "host": "shard02-2:27025", "priority": 0}, {"_id": 2, "host": "shard02-3:27026", "priority": 0}], "settings": {"electionTimeoutMillis": 100, "heartbeatIntervalMillis": 100}}, "priorities": {"0": 1, "1": 1, "2": 1}, "normalSettings": {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}, "acknowledgers": 3}}, "router": {"local": "127.0.0.1:27017", "shards": [{"name": "shard01", "hosts": "shard01/shard01-1:27021,shard01-2:27022,shard01-3:27023"}, {"name": "shard02", "hosts": "shard02/shard02-1:27024,shard02-2:27025,shard02-3:27026"}]}, "standalone": null};
const POLL_MS = 100;
const TIMEOUT_MS = 180000;
const ALREADY_INITIALIZED = 23;
const UNAUTHORIZED = 13;
const USER_EXISTS = 51003;
const AUTHENTICATION_FAILED = 18;

function say(message) {
  print(`[shardsmith init ${PLAN.cluster}] ${message}`);
}

function fail(message) {
  say(`error: ${message}`);
  quit(2);
}

function password() {
  const value = process.env[PLAN.auth.passwordEnv];
  if (!value) fail(`${PLAN.auth.passwordEnv} is not set; export it (the cluster's root password) and run again`);
  return value;
}

const connections = {};

function connect(address, authenticated) {
  const key = `${authenticated}:${address}`;
  if (!connections[key]) {
    let userinfo = "";
    let options = "directConnection=true&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000";
    if (authenticated && PLAN.auth) {
      userinfo = `${encodeURIComponent(PLAN.auth.user)}:${encodeURIComponent(password())}@`;
      options += "&authSource=admin";
    }
    connections[key] = new Mongo(`mongodb://${userinfo}${address}/?${options}`).getDB("admin");
  }
  return connections[key];
}

// Errors the server answered with (a write-concern error means the write itself was applied).
const SERVER_ERRORS = ["MongoServerError", "MongoWriteConcernError"];

// A command's reply; server errors come back as {ok: 0, code, errmsg} instead of throwing.
// Network errors still throw: callers poll through them with waitFor.
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

// The member stepped down (or was not primary) under us: with the fast-election settings a busy
// machine makes the primary step down for a moment; it is the only electable member, so it comes back.
function steppedDown(reply) {
  return PLAN.steppedDownCodes.includes(reply.code);
}

// Poll `check` until it returns something truthy; errors mean "not yet".
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

// Create the root user through the localhost exception; if users exist, prove the password works.
// Retried through step-downs and dropped connections: an attempt that did create the user is
// followed by one that finds it, so the retry is harmless.
function ensureRootUser(address, where, acknowledgers) {
  if (!PLAN.auth) return;
  let created = false;
  waitFor(`the root user on ${where}`, () => {
    const reply = command(address, false, {
      createUser: PLAN.auth.user, pwd: password(), roles: ["root"],
      writeConcern: { w: acknowledgers, wtimeout: 60000 },
    });
    created = created || Boolean(reply.ok || reply.applied);
    if (reply.ok) return true;
    if (steppedDown(reply)) return false;
    if (reply.code !== UNAUTHORIZED && reply.code !== USER_EXISTS) fail(`createUser on ${where}: ${reply.errmsg}`);
    const check = command(address, true, { ping: 1 });
    if (check.code === AUTHENTICATION_FAILED) {
      fail(`${where} already has users and the password in ${PLAN.auth.passwordEnv} does not work (${check.errmsg})`);
    }
    return Boolean(check.ok);
  });
  if (created) say(`root user ${PLAN.auth.user} created on ${where}`);
}

function findPrimary(name, set) {
  return waitFor(`a writable primary in replica set ${name}`, () =>
    set.members.find((host) => {
      try {
        const hello = command(host, false, { hello: 1 });
        return hello.isWritablePrimary;
      } catch (error) {
        return false; // a member still starting: ask the others
      }
    }));
}

function isNormal(config, set) {
  const settings = config.settings || {};
  return Object.entries(set.normalSettings).every(([key, value]) => settings[key] === value) &&
    config.members.every((m) => !(String(m._id) in set.priorities) || m.priority === set.priorities[String(m._id)]);
}

// Undo the fast-election settings the set was initiated with.
function restoreSettings(name, set) {
  waitFor(`replica set ${name} to take its normal settings`, () => {
    const primary = findPrimary(name, set);
    const current = command(primary, true, { replSetGetConfig: 1 });
    if (!current.ok) return false;
    const config = current.config;
    if (isNormal(config, set)) return true;
    config.settings = Object.assign(config.settings || {}, set.normalSettings);
    for (const member of config.members) {
      if (String(member._id) in set.priorities) member.priority = set.priorities[String(member._id)];
    }
    config.version += 1;
    const done = command(primary, true, { replSetReconfig: config });
    if (!done.ok) say(`reconfig of ${name} on ${primary} not taken yet (${done.errmsg}); retrying`);
    return done.ok;
  });
}

function initReplicaSet(name) {
  const set = PLAN.sets[name];
  waitFor(`replica set ${name} to be initiated from ${set.local}`, () => {
    if (command(set.local, false, { hello: 1 }).setName) return true;
    const initiated = command(set.local, false, { replSetInitiate: set.initiate });
    if (initiated.ok) say(`replica set ${name} initiated`);
    else if (initiated.code !== ALREADY_INITIALIZED) fail(`replSetInitiate on ${set.local}: ${initiated.errmsg}`);
    return true;
  });
  const primary = findPrimary(name, set);
  say(`replica set ${name}: primary ${primary}`);
  ensureRootUser(set.local, `replica set ${name}`, set.acknowledgers);
  restoreSettings(name, set);
}

function initRouter() {
  const router = PLAN.router;
  waitFor(`the router at ${router.local} to answer`, () => command(router.local, false, { hello: 1 }).ok);
  ensureRootUser(router.local, "the router", 1);
  const listed = waitFor("the router's shard list", () => {
    const reply = command(router.local, true, { listShards: 1 });
    return reply.ok ? reply.shards.map((shard) => shard._id) : null;
  });
  for (const shard of router.shards) {
    if (listed.includes(shard.name)) continue;
    const added = command(router.local, true, { addShard: shard.hosts, name: shard.name });
    if (!added.ok) fail(`addShard ${shard.hosts}: ${added.errmsg}`);
    say(`shard ${shard.name} added`);
  }
}

function initStandalone() {
  const standalone = PLAN.standalone;
  waitFor(`${standalone.local} to answer`, () => command(standalone.local, false, { hello: 1 }).ok);
  ensureRootUser(standalone.local, "the standalone", 1);
}

const part = process.env[PLAN.partEnv] || "";
const parts = Object.keys(PLAN.sets).concat(PLAN.router ? ["router"] : [], PLAN.standalone ? ["standalone"] : []);
if (part === "all") {
  Object.keys(PLAN.sets).forEach(initReplicaSet);
  if (PLAN.router) initRouter();
  if (PLAN.standalone) initStandalone();
} else if (part in PLAN.sets) {
  initReplicaSet(part);
} else if (part === "router" && PLAN.router) {
  initRouter();
} else if (part === "standalone" && PLAN.standalone) {
  initStandalone();
} else {
  fail(`set ${PLAN.partEnv} to one of: ${parts.concat(["all"]).join(", ")} (got "${part}")`);
}
say(`${part}: done`);
