// Reads {"policies": [...identity policy documents], "requests": [{action, resource, context}]}
// on stdin and prints one decision per request ("Allowed", "ExplicitlyDenied",
// "ImplicitlyDenied", or "error: <message>") as a JSON list, using @cloud-copilot/iam-simulate.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const { principal, policies, requests } = JSON.parse(Buffer.concat(chunks).toString())
const decisions = []
for (const request of requests) {
  const response = await runSimulation(
    {
      identityPolicies: policies.map((policy, index) => ({ name: `policy-${index}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
      request: {
        action: request.action,
        principal,
        resource: { accountId: principal.split(':')[4], resource: request.resource },
        contextVariables: request.context ?? {},
      },
    },
    {},
  )
  decisions.push(
    response.resultType === 'error'
      ? `error: ${JSON.stringify(response.errors)}`
      : response.overallResult,
  )
}
process.stdout.write(JSON.stringify(decisions))
