# lib.sh - what the benchmarks share (sourced).

# dev_config SCRATCH: a drivemon.conf in SCRATCH for the bucket bench.gbai
# of the folder drive SCRATCH/drive, in dev mode, logging warnings only.
dev_config()
{
	cat >"$1/drivemon.conf" <<INI
[drive]
endpoint = file://$1/drive
buckets = bench.gbai
[agent]
work_root = $1/work
state_dir = $1/state
[dev]
enabled = true
[log]
level = warning
INI
}
