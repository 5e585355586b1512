// Regional VNet integration of an app or slot (stage 'cutover': after its gateway-required connection is
// deleted, since an app uses one form of integration at a time).
param siteName string
param slotName string = ''
param subnetId string

resource siteIntegration 'Microsoft.Web/sites/networkConfig@2024-11-01' = if (empty(slotName)) {
  name: '${siteName}/virtualNetwork'
  properties: { subnetResourceId: subnetId, swiftSupported: true }
}

resource slotIntegration 'Microsoft.Web/sites/slots/networkConfig@2024-11-01' = if (!empty(slotName)) {
  name: '${siteName}/${empty(slotName) ? 'none' : slotName}/virtualNetwork'
  properties: { subnetResourceId: subnetId, swiftSupported: true }
}
