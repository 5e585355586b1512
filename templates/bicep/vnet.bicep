// A VNet for apps whose old VNet is in another region (CROSS_REGION), with the old VNet's DNS servers.
// Deployed by vnet-planner's wave files (stage 'network'); its resource group is the module's scope.
param name string
param location string
param addressPrefix string
param dnsServers array = []

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  properties: {
    addressSpace: { addressPrefixes: [ addressPrefix ] }
    dhcpOptions: empty(dnsServers) ? null : { dnsServers: dnsServers }
  }
}
