"""/api/v1/journeys: the journeys, their funnel overlaid on the map, its history, and asking why."""
