-- GET a random path among those listed in args[1]
local reqs = {}
function init(args)
  for line in io.lines(args[1]) do reqs[#reqs + 1] = wrk.format("GET", line) end
  math.randomseed(tonumber(args[2]) or os.time())
end
function request() return reqs[math.random(#reqs)] end
