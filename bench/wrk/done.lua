-- done.lua: appended to every wrk script by bench/run; one machine-readable result line.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%.0f bytes=%.0f duration_us=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f err_connect=%.0f err_read=%.0f err_write=%.0f err_status=%.0f err_timeout=%.0f\n",
    summary.requests, summary.bytes, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
