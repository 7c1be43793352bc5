// Stands in for sharp in Worker bundles: @bears/backend imports it only on Node, which a Worker never is.
export default undefined;
