// apimachinery's validation of label keys and values (k8s.io/apimachinery/pkg/util/validation).

const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Problems with a label key (`prefix/name` or `name`); empty when valid. */
export function labelKeyProblems(key: unknown): string[] {
  if (typeof key !== 'string') return ['must be a string'];
  const parts = key.split('/');
  let name: string;
  const problems: string[] = [];
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else if (prefix.length > DNS1123_SUBDOMAIN_MAX)
      problems.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
    else if (!DNS1123_SUBDOMAIN.test(prefix))
      problems.push('prefix part must be a lowercase RFC 1123 subdomain (e.g. example.com)');
  } else {
    return ["a qualified name must consist of an optional DNS subdomain prefix and a name, separated by '/'"];
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX)
    problems.push(`name part must be no more than ${QUALIFIED_NAME_MAX} characters`);
  else if (!NAME_PART.test(name)) {
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return problems;
}

/** Problems with a label value; the empty string is a valid value. */
export function labelValueProblems(value: unknown): string[] {
  if (typeof value !== 'string') return ['must be a string'];
  if (value.length === 0) return [];
  if (value.length > LABEL_VALUE_MAX) return [`must be no more than ${LABEL_VALUE_MAX} characters`];
  if (!NAME_PART.test(value)) {
    return [
      "a valid label value must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ];
  }
  return [];
}
