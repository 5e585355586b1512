// A new App Service plan for a blue-green move (its apps are integrated from the start).
param name string
param location string
param kind string
param skuName string
param capacity int = 1
param reserved bool = false
param hyperV bool = false

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: name
  location: location
  kind: kind
  sku: { name: skuName, capacity: capacity }
  properties: { reserved: reserved, hyperV: hyperV }
}
