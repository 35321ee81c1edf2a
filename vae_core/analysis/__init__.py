"""The math the pages show and the numbers that judge a model: `explore` (encode, decode, grids, paths,
neighbours), `projection` (the plane of a >2-D model), `tradeoff`, `evaluate` (test metrics, the evaluate
command) and `classifier` (the CNN that names decoded images)."""
