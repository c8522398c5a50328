package mgmtapi

// routesGroups registers the routes of this resource (being built).
func (a *API) routesGroups() {}
