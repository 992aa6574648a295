# Two commands for a newcomer: `make run` (the main job locally) and `make test` (everything CI runs).
.PHONY: run test bench zips deploy destroy

run:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	cargo bench --workspace
