// A new integration subnet, delegated to Microsoft.Web/serverFarms (regional VNet integration).
// Only for subnets the plan creates: a PUT of an existing subnet would drop what it has (NSG, route table).
param vnetName string
param name string
param addressPrefix string
param serviceEndpoints array = []

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: vnetName
}

resource integrationSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' = {
  parent: vnet
  name: name
  properties: {
    addressPrefix: addressPrefix
    delegations: [ { name: 'delegation', properties: { serviceName: 'Microsoft.Web/serverFarms' } } ]
    serviceEndpoints: [for service in serviceEndpoints: { service: service }]
  }
}
