"""The Lua scripts of shared budgets and rate limits: each decision is one atomic script.

A budget named N lives under the prefix `ernie_aiml:budget:{N}` (the braces keep its keys in
one Redis Cluster slot): `:cfg` (its limits, written once), `:stop` (set by a 403),
`:backoff` (a shared 429 window, expiring by itself), and per window W (`all`, or the UTC day
number for `per="day"`): `:t:W` (the tally), `:l:W` (leases by expiry) and `:lv:W` (what
each lease reserved). Times come from the server's clock (`TIME`), so machines whose clocks
differ agree on windows and expiries. Rates seen per model are kept in `ernie_aiml:rates`.
"""

from __future__ import annotations

#: Shared by the budget scripts: the server's time in ms, the window, and releasing a lease.
_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function window(per, now)
  if per == 'day' then return tostring(math.floor(now / 86400000)) end
  return 'all'
end
local function release(tk, lk, lv, id)
  local v = redis.call('HGET', lv, id)
  redis.call('ZREM', lk, id)
  if not v then return 0 end
  local c, u, t = string.match(v, '(%S+) (%S+) (%S+)')
  -- 0 - x, never -x: Lua's -0 reaches Redis as "-0", which HINCRBY refuses
  redis.call('HINCRBYFLOAT', tk, 'r_credits', 0 - tonumber(c))
  redis.call('HINCRBYFLOAT', tk, 'r_usd', 0 - tonumber(u))
  redis.call('HINCRBY', tk, 'r_tokens', 0 - tonumber(t))
  redis.call('HINCRBY', tk, 'inflight', -1)
  redis.call('HDEL', lv, id)
  return 1
end
local function purge(tk, lk, lv, now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', lk, '-inf', now)) do
    if release(tk, lk, lv, id) == 1 then redis.call('HINCRBY', tk, 'expired', 1) end
  end
end
local function num(v) return tonumber(v) or 0 end
local function put_settings(key, at)
  redis.call('HSET', key, 'max_calls', ARGV[at], 'max_credits', ARGV[at + 1],
    'max_usd', ARGV[at + 2], 'max_tokens', ARGV[at + 3], 'per', ARGV[at + 4], 'hard', ARGV[at + 5])
end
"""

#: KEYS: cfg. ARGV: max_calls, max_credits, max_usd, max_tokens ('' = none), per, hard.
#: Creates the budget once; returns its stored settings (a late joiner never resets them).
OPEN = (
    _COMMON
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then
  put_settings(KEYS[1], 1)
  return {1, ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]}
end
local c = redis.call('HMGET', KEYS[1], 'max_calls', 'max_credits', 'max_usd', 'max_tokens',
  'per', 'hard')
return {0, c[1], c[2], c[3], c[4], c[5], c[6]}
"""
)

#: KEYS: cfg, stop, backoff, rates. ARGV: prefix, lease id, ttl ms, worst-case tokens, model,
#: reserve credits ('' = none), usd per credit, then OPEN's six settings (to re-create the
#: budget should the store have lost it).
#: Returns {'ok', window, backoff ms} | {'over', limit, value, spent} | {'stopped', why}.
ADMIT = (
    _COMMON
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then put_settings(KEYS[1], 8) end
local stop = redis.call('GET', KEYS[2])
if stop then return {'stopped', stop} end
local cfg = redis.call('HMGET', KEYS[1], 'max_calls', 'max_credits', 'max_usd', 'max_tokens',
  'per', 'hard')
local now = now_ms()
local w = window(cfg[5], now)
local p = ARGV[1]
local tk, lk, lv = p .. ':t:' .. w, p .. ':l:' .. w, p .. ':lv:' .. w
purge(tk, lk, lv, now)
local s = redis.call('HMGET', tk, 'started', 'credits_used', 'usd_spent', 'total_tokens',
  'r_credits', 'r_usd', 'r_tokens', 'inflight')
local started, credits, usd, tokens = num(s[1]), num(s[2]), num(s[3]), num(s[4])
local rc, ru, rt, inflight = num(s[5]), num(s[6]), num(s[7]), num(s[8])
local max_calls, max_credits = tonumber(cfg[1]), tonumber(cfg[2])
local max_usd, max_tokens = tonumber(cfg[3]), tonumber(cfg[4])
if max_calls and started >= max_calls then return {'over', 'max_calls', cfg[1], tostring(started)} end
local nc, nu, nt = 0, 0, 0
if cfg[6] == '1' then
  nt = tonumber(ARGV[4])
  local per_credit = tonumber(ARGV[7])
  if ARGV[6] ~= '' then
    nc = tonumber(ARGV[6])
  else
    local rate = tonumber(redis.call('HGET', KEYS[4], 'credits:' .. ARGV[5]))
    if rate then nc = nt * rate else nc = -1 end
  end
  local urate = tonumber(redis.call('HGET', KEYS[4], 'usd:' .. ARGV[5]))
  if nc >= 0 then nu = math.max(nc * per_credit, urate and nt * urate or 0) else nu = -1 end
  if nc < 0 then
    -- no rate known yet and no reserve: this call runs alone and holds what is left
    if inflight > 0 then return {'over', 'max_credits', cfg[2] or '', tostring(credits + rc), 'busy'} end
    nc = math.max((max_credits or 0) - credits, 0)
    nu = math.max((max_usd or 0) - usd, 0)
  end
  if max_credits and credits + rc + nc > max_credits then
    return {'over', 'max_credits', cfg[2], tostring(credits + rc), 'reserved'}
  end
  if max_usd and usd + ru + nu > max_usd then
    return {'over', 'max_usd', cfg[3], tostring(usd + ru), 'reserved'}
  end
  if max_tokens and tokens + rt + nt > max_tokens then
    return {'over', 'max_tokens', cfg[4], tostring(tokens + rt), 'reserved'}
  end
else
  if max_credits and credits >= max_credits then return {'over', 'max_credits', cfg[2], tostring(credits)} end
  if max_usd and usd >= max_usd then return {'over', 'max_usd', cfg[3], tostring(usd)} end
  if max_tokens and tokens >= max_tokens then return {'over', 'max_tokens', cfg[4], tostring(tokens)} end
end
redis.call('HINCRBY', tk, 'started', 1)
redis.call('HINCRBY', tk, 'inflight', 1)
redis.call('HINCRBYFLOAT', tk, 'r_credits', nc)
redis.call('HINCRBYFLOAT', tk, 'r_usd', nu)
redis.call('HINCRBY', tk, 'r_tokens', nt)
redis.call('ZADD', lk, now + tonumber(ARGV[3]), ARGV[2])
redis.call('HSET', lv, ARGV[2], string.format('%.17g %.17g %d', nc, nu, nt))
if w ~= 'all' then
  local keep = (tonumber(w) + 2) * 86400000
  for _, k in ipairs({tk, lk, lv}) do redis.call('PEXPIREAT', k, keep) end
end
local backoff = redis.call('PTTL', KEYS[3])
return {'ok', w, tostring(math.max(backoff, 0))}
"""
)

#: KEYS: rates. ARGV: prefix, window, lease id, mode ('call', 'failed' or 'cancel'),
#: prompt, completion, total, reasoning, cached tokens, credits, usd, model.
#: Releases the lease (unless it expired: then nothing is released twice) and adds the call.
SETTLE = (
    _COMMON
    + """
local p, w = ARGV[1], ARGV[2]
local tk, lk, lv = p .. ':t:' .. w, p .. ':l:' .. w, p .. ':lv:' .. w
release(tk, lk, lv, ARGV[3])
if ARGV[4] == 'cancel' then
  redis.call('HINCRBY', tk, 'started', -1)
  return 0
end
redis.call('HINCRBY', tk, 'calls', 1)
if ARGV[4] == 'failed' then redis.call('HINCRBY', tk, 'failed_calls', 1) end
local names = {'prompt_tokens', 'completion_tokens', 'total_tokens', 'reasoning_tokens', 'cached_tokens'}
for i, name in ipairs(names) do
  local v = tonumber(ARGV[4 + i])
  if v ~= 0 then redis.call('HINCRBY', tk, name, v) end
end
local credits, usd, total = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[7])
if credits ~= 0 then redis.call('HINCRBYFLOAT', tk, 'credits_used', credits) end
if usd ~= 0 then redis.call('HINCRBYFLOAT', tk, 'usd_spent', usd) end
if ARGV[12] ~= '' and total > 0 then
  for kind, amount in pairs({credits = credits, usd = usd}) do
    if amount > 0 then
      local field = kind .. ':' .. ARGV[12]
      local seen = tonumber(redis.call('HGET', KEYS[1], field))
      if not seen or amount / total > seen then
        redis.call('HSET', KEYS[1], field, string.format('%.17g', amount / total))
      end
    end
  end
end
return 1
"""
)

#: KEYS: cfg, stop, backoff. ARGV: prefix. Expired leases released, then the window's
#: tally, the settings, the stop reason and the backoff left.
SNAPSHOT = (
    _COMMON
    + """
local cfg = redis.call('HMGET', KEYS[1], 'max_calls', 'max_credits', 'max_usd', 'max_tokens',
  'per', 'hard')
local now = now_ms()
local w = window(cfg[5], now)
local p = ARGV[1]
local tk, lk, lv = p .. ':t:' .. w, p .. ':l:' .. w, p .. ':lv:' .. w
purge(tk, lk, lv, now)
return {redis.call('HGETALL', tk), cfg, redis.call('GET', KEYS[2]) or '',
  tostring(math.max(redis.call('PTTL', KEYS[3]), 0))}
"""
)

#: KEYS: cfg, stop, backoff. ARGV: prefix, then OPEN's six settings. Forgets the current
#: window's tally and leases, the stop and the backoff, and stores these settings.
RESET = (
    _COMMON
    + """
local per = redis.call('HGET', KEYS[1], 'per') or ARGV[6]
local w = window(per, now_ms())
local p = ARGV[1]
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], p .. ':t:' .. w, p .. ':l:' .. w, p .. ':lv:' .. w)
put_settings(KEYS[1], 2)
return 1
"""
)

#: KEYS: backoff. ARGV: delay ms. Opens (or extends) the shared 429 window; returns the ms
#: left of it (a window another process opened for longer is kept).
BACKOFF = """
local left = redis.call('PTTL', KEYS[1])
local want = tonumber(ARGV[1])
if left < want then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', want)
  return want
end
return left
"""

#: KEYS: stop. ARGV: reason. Stops the budget for every process (until reset).
STOP = """
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""

#: KEYS: a window's tally. A call already settled with its usage failed afterwards.
MARK_FAILED = """
return redis.call('HINCRBY', KEYS[1], 'failed_calls', 1)
"""

#: KEYS: request TAT, token TAT, backoff. ARGV: ms per request (0: no rpm), token tolerance
#: ms (0: no tpm), longest wait ms. GCRA: each request is given the next free slot (one
#: every `60000/rpm` ms, whichever process asks); a call also waits while the last minute's
#: tokens are over `tpm` and while a shared 429 window is open. Returns {1, wait ms, backoff
#: ms} with the slot taken, or {0, wait ms, backoff ms} when the wait would exceed the bound.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, tolerance, bound = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local wait = 0
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if interval > 0 and tat > now then wait = tat - now end
if tolerance > 0 then
  local ttat = tonumber(redis.call('GET', KEYS[2]) or '0')
  wait = math.max(wait, ttat - now - tolerance)
end
local backoff = math.max(redis.call('PTTL', KEYS[3]), 0)
wait = math.max(wait, backoff)
if wait > bound then return {0, wait, backoff} end
if interval > 0 then
  local next_free = now + wait + interval
  redis.call('SET', KEYS[1], next_free, 'PX', wait + interval + 1000)
end
return {1, wait, backoff}
"""

#: KEYS: token TAT. ARGV: ms the call's tokens take at `tpm`. Charges a finished call's tokens.
TOKENS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', tat - now + 60000)
return tat - now
"""
