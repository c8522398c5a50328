package mgmtapi

// routesUsers registers the routes of this resource (being built).
func (a *API) routesUsers() {}
