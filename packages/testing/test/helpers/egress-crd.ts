/** A small Egress-like CRD (cluster-scoped, status subresource, printer columns) written for these tests. */
export const egressCrdYaml = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: egresses.egress.proxier.io
spec:
  group: egress.proxier.io
  scope: Cluster
  names:
    kind: Egress
    listKind: EgressList
    plural: egresses
    singular: egress
    shortNames: [eg]
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Egress IP
      type: string
      jsonPath: .spec.egressIPs[0]
    - name: Priority
      type: integer
      jsonPath: .spec.priority
    - name: Ready
      type: string
      jsonPath: .status.conditions[?(@.type=="Ready")].status
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
`;

export function egressYaml(name: string, ip: string, priority: number): string {
  return `apiVersion: egress.proxier.io/v1alpha1
kind: Egress
metadata:
  name: ${name}
spec:
  podSelector: {matchLabels: {app: db}}
  egressIPs: ["${ip}"]
  priority: ${priority}
`;
}
