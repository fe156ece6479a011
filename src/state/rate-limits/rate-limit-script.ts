/**
 * GCRA over several rules in one atomic step, the same algorithm as memory-rate-limit-store.ts.
 * KEYS[i]: the state of rule i. ARGV: a ms clock override ('' = Redis server TIME, so every
 * instance shares one clock), then interval_i and window_i (ms) per rule.
 *
 * The TAT is kept as "base offset": base is when the key was first written and offset is the TAT
 * relative to it. Adding intervals to an epoch-sized number in floating point drifts by ~1e-4 ms
 * per request (7 per second would admit only 6); adding them to a small offset does not.
 *
 * Returns { allowed (1/0), then per rule: fits (1/0) and how far its TAT was ahead of now *before*
 * this request }, the latter as a string (Lua numbers come back truncated to integers). Only an
 * admitted request writes, and every write carries its expiry in the same SET (PX), at the
 * moment the budget is whole again: no immortal keys. '%.17g' round-trips a double exactly.
 */
export const GCRA_SCRIPT = `
-- Redis 3.2–4 refuse writes after TIME unless effects are replicated; 5+ do this by default.
if redis.replicate_commands then redis.replicate_commands() end
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local n = #KEYS
local bases, offsets, elapsed, aheads, fits = {}, {}, {}, {}, {}
local allowed = 1
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local stored = redis.call('GET', KEYS[i])
  local base, offset = now, 0
  if stored then
    local b, o = string.match(stored, '^(%S+) (%S+)$')
    if b then base, offset = tonumber(b), tonumber(o) end
  end
  elapsed[i] = now - base
  bases[i] = base
  offsets[i] = offset
  aheads[i] = math.max(offset - elapsed[i], 0)
  fits[i] = aheads[i] + interval <= window + 1e-6
  if not fits[i] then allowed = 0 end
end
local out = { allowed }
for i = 1, n do
  if allowed == 1 then
    local interval = tonumber(ARGV[2 * i])
    local value = string.format('%.17g %.17g', bases[i], math.max(offsets[i], elapsed[i]) + interval)
    redis.call('SET', KEYS[i], value, 'PX', math.max(1, math.ceil(aheads[i] + interval)))
  end
  out[2 * i] = fits[i] and 1 or 0
  out[2 * i + 1] = string.format('%.17g', aheads[i])
end
return out
`;
