/**
 * GCRA over several rules in one atomic step, the same algorithm as memory-rate-limit-store.ts.
 * KEYS[i]: the TAT of rule i. ARGV: a ms clock override ('' = Redis server TIME, so every
 * instance shares one clock), then interval_i and window_i (ms) per rule.
 * Returns { allowed (1/0), ahead_1 … ahead_n }: how far each TAT is ahead of now *before* this
 * request, as strings (Lua numbers would come back truncated to integers). Only an admitted
 * request writes, and every write carries its expiry in the same SET (PX): no immortal keys.
 * '%.17g' keeps the TAT exact (tostring keeps only 14 digits, ~0.1 ms at today's epoch).
 */
export const GCRA_SCRIPT = `
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local n = #KEYS
local tats = {}
local allowed = 1
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  tats[i] = tat
  if tat + interval - now > window + 1e-6 then allowed = 0 end
end
local out = { allowed }
for i = 1, n do
  if allowed == 1 then
    local nextTat = tats[i] + tonumber(ARGV[2 * i])
    redis.call('SET', KEYS[i], string.format('%.17g', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
  end
  out[i + 1] = string.format('%.17g', tats[i] - now)
end
return out
`;
