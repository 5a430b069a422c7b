-- One AdmissionReview (REVIEW_FILE) posted to /validate over and over: every image cached.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("REVIEW_FILE"), "r"))
wrk.body = f:read("*a")
f:close()
