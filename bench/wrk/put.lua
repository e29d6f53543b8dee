-- PUT args[2] bytes to fresh fid paths args[1], args[1]+1, ... on dev1..dev4
local base, body, n = 0, "", 0
function init(args)
  base = tonumber(args[1])
  local parts = {}
  for i = 0, tonumber(args[2]) / 16 - 1 do parts[#parts + 1] = string.format("%015x\n", i) end
  body = table.concat(parts)
end
function request()
  local fid = base + n
  n = n + 1
  local s = string.format("%010d", fid)
  local path = string.format("/dev%d/%s/%s/%s/%s.fid", fid % 4 + 1,
    s:sub(1, 1), s:sub(2, 4), s:sub(5, 7), s)
  return wrk.format("PUT", path, nil, body)
end
