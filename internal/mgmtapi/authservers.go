package mgmtapi

// routesAuthServers registers the routes of this resource (being built).
func (a *API) routesAuthServers() {}
