"""Journeys: the path a team intends customers to take, overlaid on the funnel measured from the
stored events, with what each drop-off costs and, from the interviews, why people leave there."""
