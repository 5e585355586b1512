// A new app on a new plan (blue-green), integrated with its subnet from the start. Code, settings and
// certificates are deployed separately (the runbook's deploy step).
param name string
param location string
param kind string
param serverFarmId string
param subnetId string
param routeAll bool = false

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  kind: kind
  properties: {
    serverFarmId: serverFarmId
    virtualNetworkSubnetId: subnetId
    outboundVnetRouting: { applicationTraffic: routeAll }
  }
}
