export { evaluate } from '../../local/stack-iam/intrinsics';
