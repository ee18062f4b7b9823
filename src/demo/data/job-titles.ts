import type { UserType } from '../../domain/privileges.ts';

/** The job titles a generated account of each Type of User is given (one in ten has none). */
export const JOB_TITLES: Readonly<Record<UserType, readonly string[]>> = {
  la_admin: [
    'Information Systems Manager',
    'Education Data Systems Lead',
    'Nexus System Administrator',
    'Data and Systems Manager',
    'Information Management Officer',
  ],
  la_officer: [
    'Data Analyst',
    'Senior Performance Analyst',
    'Research and Intelligence Officer',
    'Education Data Officer',
    'Insight Analyst',
    'Performance and Information Officer',
  ],
  school_improvement: [
    'School Improvement Adviser',
    'Senior School Improvement Officer',
    'Primary Adviser',
    'Secondary Adviser',
    'Early Years Adviser',
    'Education Standards Officer',
  ],
  commissioned: [
    'School Improvement Partner',
    'Education Consultant',
    'Associate Adviser',
    'Independent Education Consultant',
  ],
  virtual_school: [
    'Virtual School Head',
    'Deputy Virtual School Head',
    'Virtual School Education Adviser',
    'Designated Teacher Coordinator',
  ],
  read_only: [
    'Admissions Officer',
    'SEND Caseworker',
    'Early Years Officer',
    'Attendance Officer',
    'Governor Services Officer',
    'Family Support Worker',
    'Education Welfare Officer',
  ],
  support: ['Support Analyst', 'Service Desk Lead', 'Customer Success Manager', 'Technical Support Officer'],
};
