// The Query layer: filters compiled into matchers, projection, sort, update operators, the
// planner and query execution over the Documents layer. This file only names the layer;
// each concern lives in its own folder.

public import BSON
public import Documents
