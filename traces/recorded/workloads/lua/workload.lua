-- The lua5.4 trace: an inventory simulation with tables, strings and
-- closures.  Lua allocates through one function built on realloc and free,
-- so this trace is mostly realloc.  Deterministic: its own LCG, no os.time.
-- Usage: lua5.4 workload.lua [ROUNDS]

local rounds = tonumber(arg[1]) or 40

local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return (seed // 65536) % n + 1
end

local syllables = { "al", "be", "co", "du", "er", "fa", "gi", "ho", "in", "ju", "ka", "lu" }
local function word()
  local parts = {}
  for i = 1, rand(3) + 1 do parts[i] = syllables[rand(#syllables)] end
  return table.concat(parts)
end

-- Items: records with string keys, nested history arrays.
local function make_items(n)
  local items = {}
  for i = 1, n do
    items[i] = { id = i, name = word() .. "-" .. i, stock = rand(100), price = rand(5000) / 100,
                 history = {} }
  end
  return items
end

local function simulate_day(items, day)
  for _ = 1, #items // 2 do
    local it = items[rand(#items)]
    local qty = rand(5)
    if it.stock >= qty then
      it.stock = it.stock - qty
      it.history[#it.history + 1] = { day = day, qty = -qty }
    else
      local refill = rand(50) + 20
      it.stock = it.stock + refill
      it.history[#it.history + 1] = { day = day, qty = refill, note = "refill " .. word() }
    end
  end
end

-- Serialise to a JSON-like string piece by piece (many short strings).
local function encode(v, out)
  local t = type(v)
  if t == "table" then
    if #v > 0 then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        encode(x, out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = string.format("%q:", k)
        encode(v[k], out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = string.format("%q", v)
  else
    out[#out + 1] = tostring(v)
  end
end

local function report(items)
  local by_letter = {}
  for _, it in ipairs(items) do
    local letter = it.name:sub(1, 1)
    local group = by_letter[letter] or { count = 0, value = 0 }
    group.count = group.count + 1
    group.value = group.value + it.stock * it.price
    by_letter[letter] = group
  end
  local letters = {}
  for k in pairs(by_letter) do letters[#letters + 1] = k end
  table.sort(letters)
  local lines = {}
  for _, k in ipairs(letters) do
    lines[#lines + 1] = string.format("%s %5d %12.2f", k, by_letter[k].count, by_letter[k].value)
  end
  return table.concat(lines, "\n")
end

local items = make_items(3000)
local total = 0
for day = 1, rounds do
  simulate_day(items, day)
  if day % 10 == 0 then
    local out = {}
    encode(items, out)
    local text = table.concat(out)
    total = total + #text
    -- word frequencies of the notes with gmatch
    local freq = {}
    for w in text:gmatch("refill (%a+)") do freq[w] = (freq[w] or 0) + 1 end
    -- drop old history so the heap shrinks as well as grows
    for _, it in ipairs(items) do
      if #it.history > 20 then
        local kept = {}
        for i = #it.history - 9, #it.history do kept[#kept + 1] = it.history[i] end
        it.history = kept
      end
    end
    collectgarbage("step", 200)
  end
end
print(report(items))
print("bytes encoded: " .. total)
