package mgmtapi

// routesLogs registers the routes of this resource (being built).
func (a *API) routesLogs() {}
