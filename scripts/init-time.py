#!/usr/bin/env python3
"""init-time.py: a Lambda function's initialisation time, measured locally.

Starts the function's `bootstrap` (from its zip) against a fake Lambda Runtime API on
127.0.0.1 and reports the time from process start to its first `GET .../invocation/next`:
what Lambda bills as Init Duration (config read, SDK clients built, models loaded), minus the
sandbox and download. Needs the function's environment (tables, queues, config, secrets);
with moto at SOCIALCARE_MOTO_URL the SDK calls made at init (SSM, none for most) go there.

    python3 scripts/init-time.py target/zips/lambda/fn-ingest/bootstrap.zip [runs]
"""
import http.server, os, subprocess, sys, tempfile, threading, time, zipfile, statistics

first_next = threading.Event()

class Runtime(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.endswith("/invocation/next"):
            first_next.set()
            time.sleep(0.2)  # keep the function waiting; it is killed right after
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args):
        pass


def run_once(bootstrap: str, env: dict) -> float:
    first_next.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    started = time.perf_counter()
    proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ok = first_next.wait(timeout=20)
    elapsed = time.perf_counter() - started
    proc.kill()
    _, err = proc.communicate()
    server.shutdown()
    if not ok:
        sys.exit(f"{bootstrap}: no call to the runtime API within 20 s:\n{err.decode(errors='replace')[-2000:]}")
    return elapsed * 1000


def main() -> None:
    zip_path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(tmp)
        bootstrap = os.path.join(tmp, "bootstrap")
        os.chmod(bootstrap, 0o755)
        env = dict(os.environ)
        env.setdefault("AWS_REGION", "us-east-1")
        env.setdefault("AWS_ACCESS_KEY_ID", "testing")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        env.setdefault("AWS_LAMBDA_FUNCTION_NAME", os.path.basename(os.path.dirname(zip_path)))
        env.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        env.setdefault("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        env.setdefault("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local")
        env.setdefault("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        env.setdefault("CARE_CONFIG", os.path.join(root, "care.toml"))
        if os.environ.get("SOCIALCARE_MOTO_URL"):
            env.setdefault("AWS_ENDPOINT_URL", os.environ["SOCIALCARE_MOTO_URL"])
        for name in ["DEDUPE", "POSTS", "CUSTOMERS", "CASES", "AGENTS", "TIMERS", "ALERTS", "PARKED"]:
            env.setdefault(f"TABLE_{name}", f"init-{name.lower()}")
        for stream in ["RECEIVED", "CLASSIFIED", "CASES", "REPLIES"]:
            env.setdefault(f"QUEUE_{stream}_URL", f"http://127.0.0.1:1/q/{stream.lower()}")
        env.setdefault("CARE_ALERTS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:init-alerts")
        times = [run_once(bootstrap, env) for _ in range(runs)]
        size = os.path.getsize(zip_path)
        print(f"{os.path.basename(os.path.dirname(zip_path)):<14} zip {size / 1024:>7.0f} KiB   init median {statistics.median(times):6.1f} ms"
              f"   (min {min(times):.1f}, max {max(times):.1f}, {runs} runs)")


if __name__ == "__main__":
    main()
