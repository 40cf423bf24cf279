"""A region's batch analysis (district, city, province) on Dask, past one machine.

- `inputs`: the region's input in GeoParquet (villages, towns, issues) and how it is read
  (dask-geopandas, spatially partitioned by Hilbert distance);
- `generate`: a synthetic region written to GeoParquet, vectorised (tests, benchmarks);
- `place`: the placement rule of `geo.assign`, per partition, in geopandas;
- `analysis`: indicators per village and per town, Gi* hotspots per town, on a
  `dask.distributed` client, written to GeoParquet;
- `database`: the region exported from PostGIS, and the results written back.

Nothing here imports the service; the CLI (`cunrong region …`) lives in service/cli/region.py.
"""
