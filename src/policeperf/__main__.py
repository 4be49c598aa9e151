from policeperf.cli import app

app(prog_name="policeperf")
