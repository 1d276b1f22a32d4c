"""The words, models and branches generated messages are made of."""

# (model, share of sessions, dollars per token, blended input/output)
MODELS = (
    ("claude-3-5-sonnet-20241022", 40, 0.000009),
    ("claude-sonnet-4-20250514", 30, 0.000009),
    ("claude-3-5-haiku-20241022", 20, 0.0000024),
    ("claude-opus-4-20250514", 8, 0.000045),
    ("claude-3-opus-20240229", 2, 0.000045),
)

# (branch template, share of sessions); {n} becomes a skewed ticket number
BRANCHES = (
    ("main", 45), ("develop", 15), ("feature/issue-{n}", 25), ("fix/bug-{n}", 10), ("release/v{n}", 5),
)

WORDS = tuple("""
the a to of and in is it for that this with on be as you can we are not have or by from at an if
function class method error exception test tests file files module import return value values list dict
string number index query collection database shard cluster replica primary secondary timestamp session
user message assistant response request async await cursor batch bulk insert update delete find sort
limit skip aggregate pipeline group match project unwind lookup merge count sum average cost model token
branch commit merge rebase push pull diff patch review refactor rename move extract inline variable
config yaml json schema field fields key keys type types null none true false default option options
should could would will might must need want let me check see look try run fix add remove change
here there now then also just only still already because so but however therefore first next last
please thanks sure okay great done works failing passing broken slow fast memory disk network latency
""".split())
