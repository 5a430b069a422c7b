#!/usr/bin/env python3
"""Posts each AdmissionReview of REVIEWS (one per line) once to URL/validate over TLS, from
WORKERS threads with a keep-alive connection each, and prints the wall time in milliseconds and
how many were allowed. For the cold half of bench/serve.sh (wrk repeats requests; this sends
each review exactly once). Usage: cold.py URL CA REVIEWS [WORKERS=8]"""
import http.client
import json
import ssl
import sys
import threading
import time
from urllib.parse import urlparse


def main() -> None:
    url, ca, path = urlparse(sys.argv[1]), sys.argv[2], sys.argv[3]
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    reviews = open(path).read().splitlines()
    context = ssl.create_default_context(cafile=ca)
    lock = threading.Lock()
    todo = list(reversed(reviews))
    allowed = [0]

    def work() -> None:
        conn = http.client.HTTPSConnection(url.hostname, url.port, context=context)
        while True:
            with lock:
                if not todo:
                    return
                body = todo.pop()
            conn.request("POST", "/validate", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = json.loads(response.read())
            if response.status == 200 and answer["response"]["allowed"]:
                with lock:
                    allowed[0] += 1

    threads = [threading.Thread(target=work) for _ in range(workers)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{(time.monotonic() - start) * 1000:.0f} {allowed[0]}")


if __name__ == "__main__":
    main()
