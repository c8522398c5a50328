package mgmtapi

// routesApps registers the routes of this resource (being built).
func (a *API) routesApps() {}
