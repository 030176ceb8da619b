"""Work later: the job queue (`jobs`, RQ or in-process), the RQ worker (`worker`) and the periodic ticks (`schedule`)."""
